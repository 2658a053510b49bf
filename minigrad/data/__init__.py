"""minigrad.data: data sets, loaders, preprocessing and augmentation.

    from minigrad.data import DataLoader, TensorDataset, load_dataset
    splits = load_dataset("digits")            # embedded, needs no network
    train = DataLoader(TensorDataset(splits.x_train, splits.y_train),
                       batch_size=64, shuffle=True)
"""

from minigrad.data import transforms
from minigrad.data.dataset import Dataset, Subset, TensorDataset, random_split
from minigrad.data.datasets import (
    DATASETS,
    DatasetNotFoundError,
    Splits,
    download_files,
    find_files,
    load_cifar10,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    search_dirs,
)
from minigrad.data.formats import FormatError, load_cifar_batch, read_idx, write_idx
from minigrad.data.loader import DataLoader, default_collate, default_convert
from minigrad.data.preprocessing import PCA, ZCA, Standardize, ZeroCenter
from minigrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from minigrad.data.synthetic import make_blobs, make_moons, make_spiral

__all__ = [
    "Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate",
    "DATASETS", "DatasetNotFoundError", "Splits", "download_files", "find_files",
    "load_cifar10", "load_dataset", "load_digits", "load_fashion_mnist", "load_mnist",
    "search_dirs", "FormatError", "load_cifar_batch", "read_idx", "write_idx",
    "PCA", "ZCA", "Standardize", "ZeroCenter", "make_blobs", "make_moons", "make_spiral",
    "transforms", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "default_convert",
]
