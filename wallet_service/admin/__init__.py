"""Administration of the records an operator keeps: agencies and officials (`wallet-service agencies`,
`wallet-service officials`). Every change is an audit event."""
