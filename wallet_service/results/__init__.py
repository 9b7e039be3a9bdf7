"""The result domain: accepting result documents (`intake`, `pdf_intake`), their formats
(`formats`), annulling them (`annulment`) and the chained audit trail of their events (`audit`)."""
