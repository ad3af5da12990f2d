caldaq replay tests/traces/balance-toledo-cont.trace --profile profiles/balance-cg18-class-ii.yaml --driver toledo-cont --set unit=g --standards tests/traces/standards.yaml --fast --out DIR
