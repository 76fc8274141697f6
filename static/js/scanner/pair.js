// The page shown right after pairing: keep the device token in this browser (per event), then
// open the scanning page. The token never goes into a URL.

import { saveToken } from "./store.js";

const holder = document.getElementById("paired");
saveToken(holder.dataset.slug, holder.dataset.token);
holder.dataset.token = "";
location.replace(holder.dataset.target);
