caldaq replay tests/traces/balance-aandd.trace --profile profiles/balance-cg18-class-ii.yaml --driver aandd --standards tests/traces/standards.yaml --fast --out DIR
