"""The catalog: the source of truth for records, their files and page text."""

from dangan.catalog.base import Catalog, FileRef, PageText, Record
from dangan.catalog.blobs import BlobInfo, BlobStore, LocalBlobStore
from dangan.catalog.sql import SqlCatalog, SqliteCatalog

__all__ = [
    "BlobInfo",
    "BlobStore",
    "Catalog",
    "FileRef",
    "LocalBlobStore",
    "PageText",
    "Record",
    "SqlCatalog",
    "SqliteCatalog",
]
