// hls.js in a bundle of its own (dist/stream-hls.js): player.js imports it only
// when a page has an HLS stream to play, so other pages never download it.
import Hls from "hls.js";

export default Hls;
