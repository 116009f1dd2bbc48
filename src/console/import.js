// The import page: the text of a chosen CSV file goes into the form's box (named by the file
// input's data-fills), so it is sent as the form; nothing is sent until Import. A file of its
// own, so the console's content security policy allows no inline script.
for (const input of document.querySelectorAll("input[type=file][data-fills]")) {
  input.addEventListener("change", () => {
    const f = input.files[0];
    if (f) {
      f.text().then((t) => {
        input.form.elements[input.dataset.fills].value = t;
      });
    }
  });
}
