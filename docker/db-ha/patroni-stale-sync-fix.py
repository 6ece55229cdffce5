#!/usr/bin/env python3
"""Build step of docker/db-ha: a three-line fix to Debian's Patroni 3.0.2 (docs/decisions/0029-patroni-etcd.md).

The bug, seen with the real images: Patroni's primary re-checks synchronous replication only when the standbys
it would pick differ from the /sync key in etcd. A standby is written to synchronous_standby_names first and
to /sync about 2 s later, once it is seen synchronous. When that standby is lost inside those 2 s (the usual
case when two standbys are lost a few seconds apart: Patroni hands the role to the second one just before it
goes too) the primary picks nobody and /sync names nobody, so Patroni sees nothing to do, while PostgreSQL
still waits for the lost standby: every commit hangs until a standby comes back. No setting avoids it.

The fix adds one case to that check: a name in synchronous_standby_names that Patroni would not pick. Patroni's
own code then runs as it does for any change (in the order it keeps: /sync first, then PostgreSQL), which in
non-strict mode clears the lost name so the primary commits alone. It changes no election, promotion or lock.

The build fails unless this is Patroni 3.0.2 and the line it replaces is there exactly once: a new package
must be checked again (and this dropped if it no longer needs it).
"""
import importlib.util
import py_compile
import sys

EXPECTED_VERSION = '3.0.2'
ORIGINAL = "            if set(picked) != set(current):\n"
FIXED = (
    "            # docker/db-ha/patroni-stale-sync-fix.py: a name PostgreSQL waits for that would not be picked\n"
    "            stale = set(name.lower() for name in self.state_handler.sync_handler._ssn_data['members'])\n"
    "            stale -= set(name.lower() for name in picked) | {'*'}\n"
    "            if set(picked) != set(current) or stale:\n"
)


def main() -> int:
    version_spec = importlib.util.find_spec('patroni.version')
    ha_spec = importlib.util.find_spec('patroni.ha')
    if version_spec is None or ha_spec is None or ha_spec.origin is None:
        print('patroni-stale-sync-fix: Patroni is not installed', file=sys.stderr)
        return 1
    namespace: dict = {}
    exec(open(version_spec.origin).read(), namespace)
    if namespace.get('__version__') != EXPECTED_VERSION:
        print(f"patroni-stale-sync-fix: Patroni {namespace.get('__version__')} is not {EXPECTED_VERSION}: check "
              'whether it still leaves a lost standby in synchronous_standby_names, then update or drop this fix',
              file=sys.stderr)
        return 1
    source = open(ha_spec.origin).read()
    if source.count(ORIGINAL) != 1:
        print('patroni-stale-sync-fix: the line to replace is not in patroni/ha.py exactly once', file=sys.stderr)
        return 1
    with open(ha_spec.origin, 'w') as file:
        file.write(source.replace(ORIGINAL, FIXED))
    py_compile.compile(ha_spec.origin, doraise=True)
    print(f'patroni-stale-sync-fix: applied to {ha_spec.origin}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
