# Whisper fine-tuning with SpecAugment on, as transformers' own example script sets it up.
# Source: huggingface/transformers, examples/pytorch/speech-recognition/run_speech_recognition_seq2seq.py
# (PR #21942): --apply_spec_augment flips only the flag; every other value below is WhisperConfig's default
# (src/transformers/models/whisper/configuration_whisper.py), which the openai/whisper-* checkpoints keep.
# With SpecAugment on and mask_time_prob > 0 that script asks for the attention mask and its collator
# forwards it (per the PR's review), so the masks stay on the clip: melwav's default.
from transformers import WhisperForConditionalGeneration

model = WhisperForConditionalGeneration.from_pretrained(
    "openai/whisper-small",
    apply_spec_augment=True,
    mask_time_prob=0.05,
    mask_time_length=10,
    mask_time_min_masks=2,
    mask_feature_prob=0.0,
    mask_feature_length=10,
    mask_feature_min_masks=0,
)
