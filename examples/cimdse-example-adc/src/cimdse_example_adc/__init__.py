"""An example cimdse component plug-in: :class:`~cimdse_example_adc.adc.RampADC`."""

from .adc import RampADC

__all__ = ["RampADC"]
