# Customers, revenue events, the commission ledger and payouts: see issue #5.
