// The self-check form's buttons. Kept out of the pages so that the Content-Security-Policy can forbid inline script.
//   data-add="CONTAINER" data-template="TEMPLATE"  adds a row (a copy of the <template>) to the container
//   data-remove                                     removes the row (fieldset) the button is in
//   data-print                                      prints the report
document.addEventListener('click', function (event) {
  var button = event.target.closest('button');
  if (!button) return;
  if (button.hasAttribute('data-add')) {
    var node = document.getElementById(button.getAttribute('data-template')).content.firstElementChild.cloneNode(true);
    document.getElementById(button.getAttribute('data-add')).appendChild(node);
    var first = node.querySelector('select, input');
    if (first) first.focus();
  } else if (button.hasAttribute('data-remove')) {
    var row = button.closest('fieldset');
    row.parentNode.removeChild(row);
  } else if (button.hasAttribute('data-print')) {
    window.print();
  }
});
