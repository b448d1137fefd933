"""Sources: the four bronze exports brought to local disk (HTTPS, a folder, or the built-in
sample), each with its size and SHA-256."""

from traveltide.sources.download import DownloadError
from traveltide.sources.fetch import SourceError, SourceFile, fetch_sources

__all__ = ["DownloadError", "SourceError", "SourceFile", "fetch_sources"]
