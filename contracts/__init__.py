"""What crosses a process boundary: event Structs, topic names, codecs, schemas. No I/O here."""
