"""Payment providers behind the PaymentGateway port: Stripe (official SDK) and the local sandbox."""
