"""`minigrad.utils.data`: where PyTorch code looks for its data tools
(`from torch.utils.data import DataLoader, TensorDataset`). The very objects of
minigrad.data, under the same names.
"""

from minigrad.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)

__all__ = ["Dataset", "TensorDataset", "DataLoader", "Subset", "random_split", "Sampler",
           "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "default_collate", "default_convert"]
