"""TravelTide Mart: TravelTide's raw exports turned into a segmented, validated Tableau data mart."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("traveltide-mart")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
