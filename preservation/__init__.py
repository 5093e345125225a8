"""四性检测 (DA/T 70-2018) and long-term preservation.

Checks of authenticity (真实性), integrity (完整性), usability (可用性) and
security (安全性) for one record, the whole archive, every stored object on a
schedule (the fixity sweep) and transfer packages; reports as PDF and xlsx.

Only ingest/ (the hook at filing), api/, the CLI and dangan/archive.py import
this package; it imports the kernel (dangan.config, dangan.errors), catalog/,
retention/ and the services."""
