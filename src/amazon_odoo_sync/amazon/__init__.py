"""Amazon SP-API client side: LWA auth, rate governor, circuit breaker, operations. No business rules."""
