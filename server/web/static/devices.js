// Simulated guns redraw often: refresh their screens every second.
setInterval(function () {
  document.querySelectorAll("img.gun-screen").forEach(function (img) {
    img.src = img.src.split("?")[0] + "?t=" + Date.now();
    img.style.visibility = "visible";
  });
}, 1000);
