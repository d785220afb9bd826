# Partners, partnerships, applications, referral links and the portal: see issue #3.
