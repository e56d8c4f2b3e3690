"""Report known vulnerabilities in the locked dependencies (pip-audit), honestly.

Audits requirements/dev.txt, the lock `make install` installs; the production lock is
part of it, at the same versions. pip-audit reads the pins as they are (no resolving, no
installing) and checks the packages the lock installs on this platform.

Fails on any known vulnerability. Where no vulnerability database can be reached (an
offline machine), pip-audit marks every package "could not be audited"; then this says
so plainly instead of printing "No known vulnerabilities found".
"""

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
ROOT = Path(__file__).resolve().parent.parent
LOCK = Path("requirements/dev.txt")


def main() -> int:
    result = subprocess.run(
        [
            str(PIP_AUDIT),
            *("--requirement", str(ROOT / LOCK), "--disable-pip"),
            *("--progress-spinner", "off", "--format", "json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout + result.stderr)
        print("pip-audit did not produce a report.")
        return 1
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        return 1
    if not audited:
        print(
            f"pip-audit could not reach a vulnerability database from this machine: "
            f"none of {len(dependencies)} packages could be audited. Run `make audit` "
            "where PyPI's JSON API or OSV is reachable."
        )
        return 0
    print(f"No known vulnerabilities in the {len(audited)} packages of {LOCK}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
