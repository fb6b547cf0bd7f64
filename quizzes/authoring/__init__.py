"""The author's side of the quiz app: the one service that saves a question (and its versions), regrade, and what calls them."""
