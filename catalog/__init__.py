"""The catalog: the source of truth for records, their files and page text."""

from catalog.base import Catalog, FileRef, PageText, Record
from catalog.blobs import BlobInfo, BlobStore, LocalBlobStore
from catalog.sqlite import SqliteCatalog

__all__ = [
    "BlobInfo",
    "BlobStore",
    "Catalog",
    "FileRef",
    "LocalBlobStore",
    "PageText",
    "Record",
    "SqliteCatalog",
]
