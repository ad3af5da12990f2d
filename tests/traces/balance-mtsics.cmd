caldaq replay tests/traces/balance-mtsics.trace --profile profiles/balance-cg18-class-ii.yaml --driver mtsics --standards tests/traces/standards.yaml --fast --out DIR
