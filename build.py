#!/usr/bin/env python3
"""Build the annotated reading collection: ``python build.py [build|check] [--root DIR]``."""

import sys

from apparatus.cli import main

if __name__ == "__main__":
    sys.exit(main())
