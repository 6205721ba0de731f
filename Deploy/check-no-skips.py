#!/usr/bin/env python3
"""Fails unless a Swift Testing xUnit report lists tests and skips none of them, except the
suites meant for machines without a verbs device (NoDeviceTests): inside the soft-RoCE VM a
skipped verbs test is a failure. Used by Deploy/softroce.sh, inside the VM."""
import sys, xml.etree.ElementTree as ET
ran, allowed, bad = 0, 0, []
for c in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    skipped = c.find("skipped")
    if skipped is None:
        ran += 1
    elif c.get("classname", "").endswith(".NoDeviceTests"):
        allowed += 1
    else:
        bad.append(f'{c.get("classname")}.{c.get("name")}: {skipped.text}')
print(f"softroce: {ran} tests ran in the VM, {allowed} no-device tests skipped as expected, {len(bad)} skipped wrongly")
for b in bad:
    print(f"softroce: SKIPPED in the VM: {b}")
sys.exit(1 if bad or ran == 0 else 0)
