"""Development stand-ins, never used in production: the embedded OpenID provider (`idp`), the
development PKI as a key directory (`pki`) and the demo data (`demo`). Imported only lazily, where the
app has decided that it runs in development."""
