"""Write ``weights.safetensors`` for ``my_agent.LinearBidder`` (run: python make_weights.py).

The weights are set by hand, not trained: in the auction the bid follows the draft's confidence
(``2 * confidence - 1``, like the ``truthful`` baseline) plus a little for agreeing with the
plurality; in the debate the first belief entry (the temperature) is low when the executor
agrees with the commitment and its peers, high when it does not.
"""

from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

weights = {
    "auction_v0.W": np.array([[2.0, 0.2, -0.2]], dtype=np.float32),
    "auction_v0.b": np.array([-1.1], dtype=np.float32),
    "debate_v0.W": np.array(
        [[-1.2, -0.6, 0.8], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32
    ),
    "debate_v0.b": np.array([0.4, 0.0, 0.0, 0.0], dtype=np.float32),
}
save_file(weights, str(Path(__file__).with_name("weights.safetensors")))
