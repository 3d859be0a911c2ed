"""BayRes jobs, one package per stage of the data flow: extract/, conform/, state/, dedup/,
publish/, service_logs/, run/, ops/ (each one's __init__ says what enters, what leaves and which
zone it writes); generate/ holds the sample platforms.
"""
