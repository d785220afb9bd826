# The partner journey stage machine and its history: see issue #4.
