"""(described below)"""
