"""Report known vulnerabilities in the installed dependencies (pip-audit), honestly.

Fails on any known vulnerability. Where no vulnerability database can be reached (an
offline machine), pip-audit marks every package "could not be audited"; then this says
so plainly instead of printing "No known vulnerabilities found".
"""

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def main() -> int:
    result = subprocess.run(
        [str(PIP_AUDIT), "--progress-spinner", "off", "--skip-editable", "-f", "json"],
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
    print(f"No known vulnerabilities in {len(audited)} audited packages.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
