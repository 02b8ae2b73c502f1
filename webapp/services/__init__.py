"""Operations on models: validate, flush, never commit, no request objects."""
