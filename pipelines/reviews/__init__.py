"""French movie-review sentiment: loading, preprocessing, BoW/TF-IDF baselines, word vectors + LSTM, evaluation."""
