"""HandCam classroom core: reading the HandCam dataset, the built-in sample, the frame store,
the assignment's three models, training, evaluation and inference.

Importing the package is cheap: TensorFlow and Keras are imported only by the modules that
train or predict.
"""

__version__ = "0.1.0"
