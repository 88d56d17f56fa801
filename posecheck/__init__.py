"""posecheck: webcam posture checking for low-back-pain stretches."""

__version__ = "0.1.0"
