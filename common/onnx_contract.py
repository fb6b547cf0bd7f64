"""The contract of the ONNX file a learner downloads (input, output, metadata keys) and the snippet that runs it.

Plain Python, no PyTorch: the web shows the snippet, the lab's engine writes the file to match
(``modellab/engine/export.py``).
"""

ONNX_NAME = "model.onnx"
INPUT, OUTPUT = "images", "probabilities"
METADATA_KEYS = ("input_size", "mean", "std", "class_names", "backbone", "strategy", "preprocessing")
PREPROCESSING = (
    "RGB; the short side resized to input_size (bilinear, antialiased), the centre square cropped; "
    "pixels / 255, minus mean, over std, per channel; N x 3 x H x W"
)

# Shown on the run's page and tested as it stands (tests/modellab/test_takeaway.py execs it).
SNIPPET = """\
import json

import numpy as np
import onnxruntime as ort
from PIL import Image

session = ort.InferenceSession("model.onnx")
meta = session.get_modelmeta().custom_metadata_map
size, classes = int(meta["input_size"]), json.loads(meta["class_names"])
mean, std = np.array(json.loads(meta["mean"])), np.array(json.loads(meta["std"]))

image = Image.open("my_image.png").convert("RGB")
w, h = image.size  # short side to `size`, then the centre square, as the site does
w, h = (size, int(size * h / w)) if w <= h else (int(size * w / h), size)
image = image.resize((w, h), Image.BILINEAR)
left, top = round((w - size) / 2), round((h - size) / 2)
image = image.crop((left, top, left + size, top + size))
x = ((np.asarray(image) / 255 - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)

probs = session.run(["probabilities"], {"images": x})[0][0]
for i in probs.argsort()[::-1][:3]:
    print(f"{classes[i]}: {probs[i]:.3f}")
"""
