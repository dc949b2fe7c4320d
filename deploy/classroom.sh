#!/usr/bin/env bash
# Set up (first run only) and serve the class from several Streamlit processes behind nginx,
# on the built-in sample or on $HANDCAM_DATA: ./deploy/classroom.sh [--processes N] [--port PORT]
source "$(dirname "$0")/../scripts/_setup.sh" requirements.txt
[ -n "${HANDCAM_DATA:-}" ] || python -m handclf_core sample   # generated once, then reused
exec python deploy/classroom.py "$@"
