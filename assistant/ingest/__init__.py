"""Reading documents: files, folders and URLs into titled, sectioned, numbered paragraphs, with
their language and dates.
"""
