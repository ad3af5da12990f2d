caldaq replay tests/traces/dmm-scpi.trace --profile profiles/dmm-dcv-6half.yaml --driver scpi --set stable_band=0.00002 --set stable_s=0.02 --standards tests/traces/standards.yaml --fast --out DIR
