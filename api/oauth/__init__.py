"""OAuth 2.0 authorization server: member organisations' clients and the tokens issued to them."""
