# The paper's LD policy as torchaudio transforms (no time warp: torchaudio has none).
SpecAugment(n_time_masks=2, time_mask_param=100, n_freq_masks=2, freq_mask_param=27, iid_masks=True, p=1.0, zero_masking=True)  # noqa: F821  (a recipe fragment: read as data by melwav, never run)
