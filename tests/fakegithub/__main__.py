"""`python -m tests.fakegithub`: the fake GitHub as a server of its own, to walk through Tact by hand.

Point Tact at it with GITHUB_API_URL (the fake answers API and web pages on one address), then
register at Tact's /setup: the fake's manifest pages send you back with a code, and its install,
commit and comment pages deliver webhooks to the registered app.
"""

import argparse
import time

from tests.fakegithub.control import FakeGitHub


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000, help="port on 127.0.0.1 (default 9000)")
    parser.add_argument("--user", default="octocat", help="the signed-in person (default octocat)")
    args = parser.parse_args()
    fake = FakeGitHub().start(port=args.port)
    fake.state.add_user(args.user)
    print(f"fake GitHub on {fake.url} (API and web pages); signed in as {args.user}", flush=True)
    print(f"  export GITHUB_API_URL={fake.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
