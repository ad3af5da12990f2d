caldaq replay tests/traces/balance-sbi.trace --profile profiles/balance-cg18-class-ii.yaml --driver sbi --standards tests/traces/standards.yaml --fast --out DIR
