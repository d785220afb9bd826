# Programs, commission plans, partner personas, join sources and onboarding: see issue #3.
