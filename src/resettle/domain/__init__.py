"""domain: what the field's words mean, written down once.

It holds the record kinds and their fields (`records`: tables, labels, HXL hashtags, synonyms, the
stages of a transfer), values as people write them and as they are stored (`values`: counts, dates,
enum words), country names and codes (`countries`), the errors a person can cause and act on
(`errors`), and UTC time as the records stamp it (`clock`). Every other layer reads these definitions;
it uses nothing of ours.
"""
