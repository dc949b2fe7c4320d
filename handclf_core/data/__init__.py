"""The data: a HandCam dataset's layout and files, the built-in sample, pictures, statistics
and the frame store. No Keras anywhere here."""
