"""Accounts: the identities the network knows (a phone number, a login), each one customer's."""
