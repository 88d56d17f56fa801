"""Image-model metadata for a TFLite file, written with the TFLite metadata schema.

The MediaPipe Tasks graph reads how to normalise the input image from the
model's metadata, and the BlazePose models published as plain ``.tflite``
files carry none. :func:`with_image_metadata` adds it: an RGB image input
with a mean and standard deviation, and one feature output per output tensor.

It writes the same flatbuffers the metadata writer of ``mediapipe`` 0.10
writes (general info, image input with normalisation and value range, feature
outputs, minimum parser version 1.0.0), using only the schema modules that
every ``mediapipe`` wheel ships. Newer wheels lack the native helper that the
writer itself needs, so posecheck does not depend on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import flatbuffers

TFLITE_FILE_IDENTIFIER = b"TFL3"
METADATA_FILE_IDENTIFIER = b"M001"
METADATA_FIELD_NAME = b"TFLITE_METADATA"
# The schema version whose fields this metadata uses (image properties,
# normalisation, feature outputs): all present since the first release.
MIN_PARSER_VERSION = "1.0.0"


def _schemas():  # type: ignore[no-untyped-def]
    from mediapipe.tasks.metadata import metadata_schema_py_generated as metadata_fb
    from mediapipe.tasks.metadata import schema_py_generated as model_fb

    return metadata_fb, model_fb


def _image_input(fb, mean: float, std: float):  # type: ignore[no-untyped-def]
    properties = fb.ImagePropertiesT()
    properties.colorSpace = fb.ColorSpaceType.RGB
    content = fb.ContentT()
    content.contentPropertiesType = fb.ContentProperties.ImageProperties
    content.contentProperties = properties
    normalization = fb.NormalizationOptionsT()
    normalization.mean = [float(mean)]
    normalization.std = [float(std)]
    unit = fb.ProcessUnitT()
    unit.optionsType = fb.ProcessUnitOptions.NormalizationOptions
    unit.options = normalization
    stats = fb.StatsT()
    # The range the normalised input takes: (0 - mean) / std .. (255 - mean) / std.
    stats.max = [(255.0 - mean) / std]
    stats.min = [(0.0 - mean) / std]
    tensor = fb.TensorMetadataT()
    tensor.name = "image"
    tensor.description = "Input image to be processed."
    tensor.content = content
    tensor.processUnits = [unit]
    tensor.stats = stats
    return tensor


def _feature_output(fb, name: str):  # type: ignore[no-untyped-def]
    content = fb.ContentT()
    content.contentPropertiesType = fb.ContentProperties.FeatureProperties
    content.contentProperties = fb.FeaturePropertiesT()
    tensor = fb.TensorMetadataT()
    tensor.name = name
    tensor.content = content
    tensor.stats = fb.StatsT()
    return tensor


def metadata_buffer(name: str, description: str, *, mean: float, std: float,
                    outputs: Sequence[str]) -> bytes:
    """The ``M001`` metadata flatbuffer for an image model with feature outputs."""
    fb, _ = _schemas()
    subgraph = fb.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [_image_input(fb, mean, std)]
    subgraph.outputTensorMetadata = [_feature_output(fb, o) for o in outputs]
    metadata = fb.ModelMetadataT()
    metadata.name = name
    metadata.description = description
    metadata.subgraphMetadata = [subgraph]
    metadata.minParserVersion = MIN_PARSER_VERSION
    builder = flatbuffers.Builder(0)
    builder.Finish(metadata.Pack(builder), METADATA_FILE_IDENTIFIER)
    return bytes(builder.Output())


def with_image_metadata(model: bytes, name: str, description: str, *, mean: float,
                        std: float, outputs: Sequence[str]) -> bytes:
    """``model`` (TFLite bytes) with its metadata set; any metadata it had is replaced.

    Raises ValueError when ``model`` is not a TFLite file or the number of
    ``outputs`` does not match its output tensors.
    """
    if model[4:8] != TFLITE_FILE_IDENTIFIER:
        raise ValueError("not a TFLite model (no TFL3 identifier)")
    _, model_fb = _schemas()
    tree = model_fb.ModelT.InitFromObj(model_fb.Model.GetRootAsModel(model, 0))
    if len(tree.subgraphs or []) != 1:
        raise ValueError(f"expected one subgraph, found {len(tree.subgraphs or [])}")
    graph = tree.subgraphs[0]
    if len(graph.inputs) != 1 or len(graph.outputs) != len(outputs):
        raise ValueError(
            f"model has {len(graph.inputs)} input(s) and {len(graph.outputs)} output(s); "
            f"metadata describes 1 and {len(outputs)}"
        )
    buffer = model_fb.BufferT()
    buffer.data = metadata_buffer(name, description, mean=mean, std=std, outputs=outputs)
    tree.buffers = tree.buffers or []
    tree.metadata = tree.metadata or []
    for entry in tree.metadata:
        if entry.name == METADATA_FIELD_NAME:
            tree.buffers[entry.buffer] = buffer
            break
    else:
        tree.buffers.append(buffer)
        entry = model_fb.MetadataT()
        entry.name = METADATA_FIELD_NAME
        entry.buffer = len(tree.buffers) - 1
        tree.metadata.append(entry)
    builder = flatbuffers.Builder(0)
    builder.Finish(tree.Pack(builder), TFLITE_FILE_IDENTIFIER)
    return bytes(builder.Output())
