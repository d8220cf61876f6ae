// The dashboard works without JavaScript; this only saves clicks.
document.addEventListener("DOMContentLoaded", () => {
  // Changing the namespace reloads the page for it.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // Times are stored in UTC; show them in the reader's time zone (the title keeps the exact value).
  for (const el of document.querySelectorAll("time[datetime]")) {
    const d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d)) { el.title = el.getAttribute("datetime"); el.textContent = d.toLocaleString(); }
  }
});
